"""Programme figures (issue #27, "Mapping and figures"): the artisan's private profile (birth year, crafts),
the public figures per city, kelurahan and sentra with the training funnel, and the potential map."""
