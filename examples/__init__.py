"""Demo sample data, shipped with the package so `stillroom demo` works from any install."""
