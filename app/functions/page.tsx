import { Functions } from "@/components/system/Functions";

export default function FunctionsPage() {
  return (
    <>
      <h1>Functions</h1>
      <Functions />
    </>
  );
}
