# The progress line of optimize under a pseudo-terminal, and nothing on a pipe.
#   cmake -DDEMO=<report_progress_demo> -P progress_tty.cmake
find_program(SCRIPT script)
if(NOT SCRIPT)
  message("SKIP: no 'script' (util-linux / bsdutils) to make a pseudo-terminal")
  cmake_language(EXIT 77)
endif()

function(require text what)
  string(FIND "${out}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: '${text}' not found in the terminal output:\n${out}")
  endif()
endfunction()

# 1. On a terminal: the line, redrawn with \r, with every field, ended by a newline.
execute_process(COMMAND "${SCRIPT}" -qec "${DEMO} 60" /dev/null
    INPUT_FILE /dev/null OUTPUT_VARIABLE out RESULT_VARIABLE rc TIMEOUT 120)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "demo under script exited with ${rc}:\n${out}")
endif()
string(ASCII 13 CR)
require("${CR}" "redraw in place")
require("/60 trials [" "trials done/total and a bar")
require("60/60 trials [####################]" "the final state")
require("| best " "best value")
require(" trials/s" "rate")
require(" elapsed" "elapsed time")
require("| ETA " "ETA")
require("pruned" "pruned count")
require("failed" "failed count")
string(REGEX MATCHALL "${CR}[0-9]+/60 trials" redraws "${out}")
list(LENGTH redraws n_redraws)
if(n_redraws LESS 2)
  message(FATAL_ERROR "expected the line to be redrawn, saw ${n_redraws} draw(s):\n${out}")
endif()
if(NOT out MATCHES "60/60 trials[^\n]*ETA 0:00[^\n]*\n")
  message(FATAL_ERROR "the final line does not end with a newline:\n${out}")
endif()
require("done: " "the program's own output")
message(STATUS "terminal: ${n_redraws} draws")

# 2. TUNEKIT_PROGRESS=0 turns the automatic display off, even on a terminal.
execute_process(COMMAND "${SCRIPT}" -qec "env TUNEKIT_PROGRESS=0 ${DEMO} 20" /dev/null
    INPUT_FILE /dev/null OUTPUT_VARIABLE out RESULT_VARIABLE rc TIMEOUT 120)
if(out MATCHES "trials/s")
  message(FATAL_ERROR "TUNEKIT_PROGRESS=0 still drew the progress line:\n${out}")
endif()

# 3. stderr on a pipe: not one byte from the display.
execute_process(COMMAND "${DEMO}" 20 OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 120)
if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
  message(FATAL_ERROR "with stderr piped, expected nothing on stderr, got (exit ${rc}):\n${err}")
endif()
if(NOT out MATCHES "^done: [0-9]+ complete")
  message(FATAL_ERROR "unexpected stdout with stderr piped:\n${out}")
endif()
message(STATUS "piped: stderr empty")
