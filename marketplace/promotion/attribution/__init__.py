"""Attribution: where buyers come from (a landing's source in a signed cookie, visits counted per day,
orders credited to the last source at checkout). No personal data (see :mod:`.services`)."""
