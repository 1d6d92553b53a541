-- A group's avatar and banner (each as JSON: id, hash, sizes, colour, alternative text), as
-- events and profiles keep theirs.
ALTER TABLE groups ADD COLUMN avatar TEXT;
ALTER TABLE groups ADD COLUMN banner TEXT;
