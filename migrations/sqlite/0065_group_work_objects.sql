-- The id a resource, a todo list or a todo has on the instance of the member who made it there:
-- the group relays it and lists it under that id, as Mobilizon does (none for the group's own).
ALTER TABLE group_resources ADD COLUMN object TEXT;
ALTER TABLE group_todo_lists ADD COLUMN object TEXT;
ALTER TABLE group_todos ADD COLUMN object TEXT;
