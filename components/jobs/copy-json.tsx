"use client";

import { useState } from "react";
import { json } from "./format";

/** Formatted JSON with a copy button. */
export function CopyJson({ label, value }: { label: string; value: unknown }) {
  const [copied, setCopied] = useState(false);
  const text = json(value);
  return (
    <section className="panel" aria-label={label}>
      <div className="row" style={{ justifyContent: "space-between", marginBottom: "0.5rem" }}>
        <h2 style={{ margin: 0 }}>{label}</h2>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            void navigator.clipboard?.writeText(text).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? "Copied" : `Copy ${label.toLowerCase()}`}
        </button>
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: long JSON scrolls; keyboard users need focus to scroll it */}
      <pre tabIndex={0}>{text}</pre>
    </section>
  );
}
