"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { LoadError, Loading } from "../load-state";
import { useTRPC } from "../trpc";
import { When } from "../when";

/**
 * The organization's webhook signing secret (Standard Webhooks), for its admins: shown masked until revealed, copied
 * for a receiver's configuration, and rotated with an overlap during which deliveries carry both signatures.
 */
export function WebhookSecret() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const secret = useQuery(trpc.settings.webhookSecret.queryOptions(undefined, { retry: false }));
  // The secret in full is fetched only when an admin asks (reveal or copy), and that is in the audit trail.
  const [revealed, setRevealed] = useState<string | null>(null);
  const reveal = useMutation(trpc.settings.revealWebhookSecret.mutationOptions({ onError: (e) => setMessage(e.message) }));
  const full = async () => revealed ?? (await reveal.mutateAsync()).current;
  const [overlapHours, setOverlapHours] = useState("24");
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const rotate = useMutation(
    trpc.settings.rotateWebhookSecret.mutationOptions({
      onSuccess: (s) => {
        setConfirming(false);
        setRevealed(null);
        setMessage(
          s.previous
            ? `Rotated. Deliveries carry both signatures until ${new Date(s.previousUntil as string).toLocaleString("en-GB")}.`
            : "Rotated. The old secret no longer signs anything.",
        );
        void queryClient.invalidateQueries({ queryKey: trpc.settings.webhookSecret.queryKey() });
      },
      onError: (e) => setMessage(e.message),
    }),
  );

  if (secret.isLoading) return <Loading height="6rem" label="the webhook secret" />;
  if (secret.error) {
    return secret.error.data?.code === "FORBIDDEN" ? (
      <p className="muted">Only an admin of this organization can see its webhook signing secret.</p>
    ) : (
      <LoadError what="the webhook secret" error={secret.error} />
    );
  }
  const s = secret.data;
  if (!s) return null;
  return (
    <div>
      <p>
        Every webhook this organization sends is signed with this secret as the{" "}
        <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> specification says (<code>webhook-id</code>,{" "}
        <code>webhook-timestamp</code>, <code>webhook-signature</code>). Give it to your receivers; no other organization can sign with it.
      </p>
      <div className="row">
        <code data-testid="webhook-secret">{revealed ?? s.current}</code>
        <button
          type="button"
          className="secondary"
          disabled={reveal.isPending}
          onClick={() => (revealed ? setRevealed(null) : void full().then(setRevealed))}
        >
          {revealed ? "Hide" : "Reveal"}
        </button>
        <button
          type="button"
          className="secondary"
          disabled={reveal.isPending}
          onClick={() => void full().then((secret) => navigator.clipboard?.writeText(secret).then(() => setMessage("Copied.")))}
        >
          Copy
        </button>
      </div>
      <p className="muted">
        Made <When iso={s.createdAt} />
        {s.rotatedAt ? (
          <>
            , last rotated <When iso={s.rotatedAt} />
          </>
        ) : null}
        .
        {s.previous && s.previousUntil ? (
          <>
            {" "}
            The previous secret <code>{s.previous}</code> still signs until <When iso={s.previousUntil} />.
          </>
        ) : null}
      </p>
      {confirming ? (
        <div className="dialog panel" role="alertdialog" aria-modal="false" aria-labelledby="rotate-title">
          <p id="rotate-title">
            Make a new secret? The current one keeps signing, as a second signature, for the hours below, so receivers can switch without
            refusing a delivery.
          </p>
          <div className="row">
            <label className="field">
              Overlap (hours)
              <input type="number" min={0} max={720} value={overlapHours} onChange={(e) => setOverlapHours(e.target.value)} />
            </label>
            <button type="button" disabled={rotate.isPending} onClick={() => rotate.mutate({ overlapHours: Number(overlapHours) })}>
              Rotate secret
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </div>
      ) : (
        <button type="button" onClick={() => setConfirming(true)}>
          Rotate…
        </button>
      )}
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}
    </div>
  );
}
