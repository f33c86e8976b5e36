# Embeds a text file in a C++ header as a raw string literal (build-time step).
# Usage: cmake -DIN=<file> -DOUT=<header> -DNAME=<identifier> -P embed_text.cmake
file(READ "${IN}" content)
string(FIND "${content}" ")rcusim_embed\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )rcusim_embed\"")
endif()
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by cmake/embed_text.cmake: do not edit.\n"
  "#pragma once\n\n#include <string_view>\n\nnamespace rcusim::embedded {\n\n"
  "inline constexpr std::string_view ${NAME} = R\"rcusim_embed(${content})rcusim_embed\";\n\n"
  "}  // namespace rcusim::embedded\n")
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
