# Regenerates tests/data/torch/module_prune_reference.json with the installed
# python3-torch and checks it equals the stored file, byte for byte. With the
# Catch test "parameter masks equal torch.nn.utils.prune's on the same weights"
# (tunekit == stored file) this makes tunekit == the installed PyTorch.
#
#   cmake -DPYTHON=/usr/bin/python3 -DSCRIPT=<generate_module_prune_reference.py>
#         -DREFERENCE=<module_prune_reference.json> -P compare_torch_reference.cmake
foreach(_var IN ITEMS PYTHON SCRIPT REFERENCE)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "compare_torch_reference.cmake: -D${_var}=... is required")
  endif()
endforeach()
execute_process(COMMAND "${PYTHON}" "${SCRIPT}" OUTPUT_VARIABLE _fresh ERROR_VARIABLE _err RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} failed (${_rc}):\n${_err}")
endif()
file(READ "${REFERENCE}" _stored)
if(NOT _fresh STREQUAL _stored)
  message(FATAL_ERROR "python3-torch now gives other masks than ${REFERENCE}; "
                      "if PyTorch was upgraded on purpose, regenerate the file (see the script's docstring)")
endif()
message(STATUS "python3-torch reproduces ${REFERENCE}")
