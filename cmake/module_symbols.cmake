# Writes OUTPUT, a linker dynamic list of what the executable must export for its modules: every
# symbol a module leaves undefined (the bot's functions it calls) or defines only weakly or
# uniquely (inline functions, template instances, their static variables and type information,
# which must be one copy in the process: the executable's). Symbols the executable does not define
# are ignored by the linker. Rewritten only when the text changes.
#   cmake -DNM=… -DOUTPUT=… -DMODULES="a.so|b.so" -P module_symbols.cmake
set(symbols)
string(REPLACE "|" ";" modules "${MODULES}")
foreach(module ${modules})
  execute_process(COMMAND ${NM} -D ${module} OUTPUT_VARIABLE listed RESULT_VARIABLE failed)
  if(failed)
    message(FATAL_ERROR "${NM} -D ${module} failed")
  endif()
  string(REPLACE "\n" ";" lines "${listed}")
  foreach(line ${lines})
    # "<address> <type> <name>" for a definition, "<type> <name>" (after spaces) for an
    # undefined symbol: U and w undefined, W V u v weak or unique definitions.
    if(line MATCHES "^[0-9a-f ]*[UwWVuv] ([^ @]+)")
      list(APPEND symbols "${CMAKE_MATCH_1}")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES symbols)
list(SORT symbols)
set(text "{\n")
foreach(symbol ${symbols})
  string(APPEND text "  \"${symbol}\";\n")
endforeach()
string(APPEND text "};\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUTPUT} "${text}")
endif()
