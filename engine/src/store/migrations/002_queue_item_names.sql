-- Queue items' JSON under readable names (fn, start, cc, tk, d, w were short for these).
UPDATE queue SET data = jsonb_build_object(
  'fnSlug', data->'fn',
  'score', data->'score',
  'isStart', data->'start',
  'concurrency', COALESCE(data->'cc', '[]'::jsonb),
  'throttleKey', data->'tk',
  'data', data->'d',
  'wait', data->'w'
) WHERE data ? 'fn';
