"""callwatch: call-log exports in, dated evidence of telephone harassment out."""

__version__ = "0.1.0"
