import { SettingsPage } from "@/components/settings/settings-page";

export const dynamic = "force-dynamic";

export default function Settings() {
  return (
    <>
      <h1>Settings</h1>
      <SettingsPage />
    </>
  );
}
