import type { FormEvent, ReactNode } from "react";

/** The time ranges a list can be filtered to, by their URL value. */
export const RANGES = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 } as const;
export type RangeKey = keyof typeof RANGES;
export const isRange = (v: string): v is RangeKey => v in RANGES;

/**
 * A list's filter bar: a form (named for screen readers) of labelled fields. Filters apply as they change; a form
 * with a submit button (the log search) passes `onSubmit`.
 */
export function FilterForm({ label, onSubmit, children }: { label: string; onSubmit?: (e: FormEvent) => void; children: ReactNode }) {
  return (
    <form className="toolbar" aria-label={label} onSubmit={onSubmit ?? ((e) => e.preventDefault())}>
      {children}
    </form>
  );
}

/** A labelled select of the filter bar; "" is "Any". */
export function SelectField({
  label,
  value,
  onChange,
  options,
  anyLabel = "Any",
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: Array<{ value: string; label: string }>;
  anyLabel?: string;
}) {
  return (
    <label className="field">
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The "Created" range select: any time, or the last hour, day or week. */
export function RangeField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <SelectField
      label="Created"
      value={isRange(value) ? value : ""}
      onChange={onChange}
      anyLabel="Any time"
      options={[
        { value: "1h", label: "Last hour" },
        { value: "24h", label: "Last 24 hours" },
        { value: "7d", label: "Last 7 days" },
      ]}
    />
  );
}

/** A labelled search box of the filter bar. */
export function SearchField({
  label,
  value,
  onChange,
  placeholder,
  grow = false,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  grow?: boolean;
}) {
  return (
    <label className="field" style={grow ? { flex: 1 } : undefined}>
      {label}
      <input type="search" value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} />
    </label>
  );
}
