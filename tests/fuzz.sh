#!/usr/bin/env bash
# Long fuzzing campaign over the compiler's entry point (the test suite runs a seeded 3,000-input campaign).
#   usage: tests/fuzz.sh [inputs=1000000] [seed=1]
# Inputs that crash or hang are written to the temp folder and listed in the failure message;
# set EAI_FUZZ_TRACE=FILE to log every input's outcome and time.
set -euo pipefail
cd "$(dirname "$0")/.."
EAI_FUZZ_INPUTS=${1:-1000000} EAI_FUZZ_SEED=${2:-1} \
  dotnet test tests/EfficientAI.Codegen.Tests -c Release --filter "FullyQualifiedName~FuzzTests" \
  --logger "console;verbosity=detailed" -- RunConfiguration.TestSessionTimeout=0
