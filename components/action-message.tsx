import Link from "next/link";

/** The outcome of the last action, with a link to what it made; the live region exists from the start. */
export function ActionMessage({ message }: { message: { text: string; href?: string } | null }) {
  return (
    <span role="status" className="muted">
      {message ? (
        <>
          {message.text} {message.href ? <Link href={message.href}>Open it</Link> : null}
        </>
      ) : null}
    </span>
  );
}
