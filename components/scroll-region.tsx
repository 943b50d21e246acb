import type { ReactNode } from "react";

/**
 * A box that scrolls on its own (wide tables on a phone, long JSON). Keyboard users can only scroll what can take
 * focus (WCAG 2.1.1), and a focusable region needs a name, so both come with it.
 */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard
    <section className="table-wrap" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
