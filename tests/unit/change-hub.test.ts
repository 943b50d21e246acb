import { describe, expect, it } from "vitest";
import { AppError } from "../../server/errors.js";
import { changeHub, MAX_STREAMS_PER_ORG } from "../../server/services/live/change-hub.js";

describe("the live change hub", () => {
  it("holds one watch per organization however many streams, refuses one past the limit with 429, and forgets an organization nobody watches", () => {
    const org = `org_hub_${Date.now()}`;
    const before = changeHub.size();
    const stops = Array.from({ length: MAX_STREAMS_PER_ORG }, () => changeHub.subscribe(org, () => {}));
    expect(changeHub.size()).toEqual({ orgs: before.orgs + 1, streams: before.streams + MAX_STREAMS_PER_ORG });
    let refused: unknown;
    try {
      changeHub.subscribe(org, () => {});
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).httpStatus).toBe(429);
    // Another organization is not held back by this one's streams.
    const other = changeHub.subscribe(`${org}_other`, () => {});
    other();
    for (const stop of stops) stop();
    expect(changeHub.size()).toEqual(before);
  });
});
