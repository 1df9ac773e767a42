"""Compute backends behind one Protocol (`bot.compute.base.ComputeBackend`): actions, hf-jobs, local."""
