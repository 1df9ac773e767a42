"""The stages of a run, one module each: inspect, scaffold, smoke, train, evaluate, stress, card, publish, predict."""
