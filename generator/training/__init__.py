"""Product, training: staff checklists, hashed quizzes, the checklist.json contract and change impact."""
