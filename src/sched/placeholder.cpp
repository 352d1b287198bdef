// removed once sched has sources
