"""The package version, in a leaf module so that modules the package's API imports can read it without a cycle."""

__version__ = "0.1.0"
