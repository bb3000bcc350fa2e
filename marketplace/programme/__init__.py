"""The programme's own events: workshops, trainings, festivals and markets of a sentra or a city
(ARCHITECTURE.md §4 Programme events): registration with a waiting list, check-in by code, and the
shops taking part in a festival or market."""
