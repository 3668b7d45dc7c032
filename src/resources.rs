//! Resource algebra used by the offer matcher and the local allocator: scalars (fixed
//! point, 3 decimals, as Mesos), ranges (ports), sets, roles and reservations.
