import { Mailbox } from "@/components/system/Mailbox";

export default function MailboxPage() {
  return (
    <>
      <h1>Mailbox</h1>
      <Mailbox />
    </>
  );
}
