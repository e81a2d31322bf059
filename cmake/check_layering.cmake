# The pure modules (core, catalog, orders, picking, dispatch, store, fresh, reco) include only the
# standard library, OpenSSL's libcrypto and each other: no Boost, libpqxx, nlohmann/json, spdlog/fmt, and
# nothing of the adapters (http, storage, api, app, sim). Run at build time before
# freshlane_domain compiles (the system has all those headers in /usr/include, so include paths
# alone cannot keep them out); fails the build, naming each offending line.
#   cmake -DSOURCE_DIR=<repo> -DSTAMP=<file> -P check_layering.cmake
set(modules core catalog orders picking dispatch store fresh reco)
set(files)
foreach(m IN LISTS modules)
  file(GLOB_RECURSE found ${SOURCE_DIR}/src/${m}/*.cpp ${SOURCE_DIR}/src/${m}/*.hpp
       ${SOURCE_DIR}/include/freshlane/${m}/*.hpp)
  list(APPEND files ${found})
endforeach()
set(forbidden "^[ \t]*#[ \t]*include[ \t]*[<\"](boost/|pqxx|nlohmann/|spdlog/|fmt/|freshlane/(http|storage|api|app|sim)/)")
set(violations "")
foreach(f IN LISTS files)
  file(STRINGS ${f} lines REGEX "#[ \t]*include")
  foreach(line IN LISTS lines)
    if(line MATCHES "${forbidden}")
      file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
      string(APPEND violations "\n  ${rel}: ${line}")
    endif()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "Layering: the pure modules must not include Boost, libpqxx, nlohmann/json, "
                      "spdlog or the adapters:${violations}")
endif()
file(WRITE ${STAMP} "")
