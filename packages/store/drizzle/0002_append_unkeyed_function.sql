-- Appends messages without idempotency keys in one round trip (the group
-- commit of chat). Each statement of a volatile function takes a fresh
-- snapshot, so the "ended" check below sees every commit made while this
-- call waited for the session locks; ids are drawn after the locks, in the
-- order of the input, so within a session id order is commit order.
CREATE OR REPLACE FUNCTION cinder_append_unkeyed(
  p_sessions text[], p_types text[], p_roles text[], p_authors text[], p_texts text[], p_metas text[],
  p_open_only boolean[], p_now_ms bigint, p_now timestamptz
) RETURNS TABLE (out_n integer, out_id bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM count(pg_advisory_xact_lock(k)) FROM (
    SELECT DISTINCT hashtextextended(s, 0) AS k FROM unnest(p_sessions) AS v(s) ORDER BY k
  ) AS sorted;
  -- a persisted broadcast may be the first thing a session ever sees
  INSERT INTO sessions (session_id, status, created_at, updated_at)
  SELECT DISTINCT s, 'waiting', p_now_ms, p_now_ms FROM unnest(p_sessions) AS v(s)
  ON CONFLICT DO NOTHING;
  RETURN QUERY
    WITH fresh AS (
      SELECT w.*, nextval('message_id_seq') AS id FROM (
        SELECT * FROM unnest(p_sessions, p_types, p_roles, p_authors, p_texts, p_metas, p_open_only)
          WITH ORDINALITY AS u(s, t, r, a, m, j, open_only, n)
        WHERE NOT (u.open_only AND EXISTS (
          SELECT 1 FROM sessions e WHERE e.session_id = u.s AND e.status = 'ended'))
        ORDER BY u.n
      ) AS w
    ), inserted AS (
      INSERT INTO messages (session_id, id, type, author_role, author_id, message, meta, inserted_at)
      SELECT f.s, f.id, f.t, f.r, f.a, f.m, f.j::jsonb, p_now FROM fresh AS f
    )
    SELECT f.n::integer, f.id FROM fresh AS f ORDER BY f.n;
END;
$$;
