"""The five reference stacks, each a short composition of constructs_lib constructs."""
