// Filled in by the routing / reporting work in progress.
