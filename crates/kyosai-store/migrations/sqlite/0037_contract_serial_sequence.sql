-- PostgreSQL draws contract serials from a sequence (see its 0037); SQLite, with one writer at
-- a time, keeps the gap-free `counters` row. Nothing changes here.
SELECT 1;
