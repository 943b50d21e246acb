export default function Home() {
  return (
    <main>
      <h1>Jobdeck</h1>
      <p>Background jobs for Next.js. The console is on its way; the Inngest endpoint is live at /api/inngest.</p>
    </main>
  );
}
