"use client";

import { useState } from "react";

/** Choose one of a run's steps and rerun from it (the steps before it are reused, not executed again). */
export function RerunFromStep({ steps, pending, onRerun }: { steps: string[]; pending: boolean; onRerun: (step: string) => void }) {
  const [step, setStep] = useState("");
  if (!steps.length) return null;
  return (
    <form
      className="row"
      aria-label="Rerun from a step"
      onSubmit={(e) => {
        e.preventDefault();
        if (step) onRerun(step);
      }}
    >
      <label className="field" style={{ flexDirection: "row", alignItems: "center", gap: "0.4rem" }}>
        Rerun from
        <select value={step} onChange={(e) => setStep(e.target.value)}>
          <option value="">choose a step</option>
          {steps.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={!step || pending}>
        Rerun
      </button>
    </form>
  );
}
