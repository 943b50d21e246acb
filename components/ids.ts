/**
 * How the console shortens ids in lists and links, the same everywhere: a job by the first 8 characters of its UUID,
 * a run by the last 10 of its ULID (the first ones are its time, shared by runs made together). A page of its own
 * shows the id in full.
 */
export const shortJobId = (id: string) => id.slice(0, 8);
export const shortRunId = (id: string) => id.slice(-10);
