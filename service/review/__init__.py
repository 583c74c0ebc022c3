"""The review workspace: coders listen, correct and decide in the browser (alliance review, and the service)."""
