"""What runs when (DESIGN §9): the job registry shared by the scheduler and `tether jobs run`, and the scheduler."""
