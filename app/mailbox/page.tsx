import { Mailbox } from "@/components/system/mailbox";

export default function MailboxPage() {
  return (
    <>
      <h1>Mailbox</h1>
      <Mailbox />
    </>
  );
}
