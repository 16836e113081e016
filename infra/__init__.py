"""pixeltable-b2 infrastructure: the stack plan and the Pulumi program built from it."""
