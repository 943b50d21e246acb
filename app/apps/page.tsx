import { Apps } from "@/components/system/apps";

export default function AppsPage() {
  return (
    <>
      <h1>Apps</h1>
      <Apps />
    </>
  );
}
