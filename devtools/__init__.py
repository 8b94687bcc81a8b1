"""Developer tooling shared by tests, benchmarks and the demo: local stack launcher, local Triton
runner, sample media and generated inputs. Never imported by product packages."""
