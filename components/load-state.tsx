/** A grey placeholder of the content's rough height while it loads, so nothing jumps when it arrives. */
export function Loading({ height, label }: { height: string; label: string }) {
  return <div className="skeleton" style={{ height }} aria-busy="true" role="status" aria-label={`Loading ${label}`} />;
}

/** What could not be loaded and why, announced to screen readers. */
export function LoadError({ what, error }: { what: string; error: { message: string } }) {
  return (
    <p className="alert" role="alert">
      Could not load {what}: {error.message}
    </p>
  );
}
