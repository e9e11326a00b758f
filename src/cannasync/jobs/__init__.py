"""What runs when: schedules, the dispatch tick, and the task functions, embedded or distributed."""
