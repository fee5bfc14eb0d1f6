# The libraries twokey links, as targets tk::libgit2, tk::yaml, tk::pcre2
# and tk::crypto (see docs/static-build.md).
#
# TWOKEY_STATIC=ON (default): libgit2 is the static archive scripts/deps
# builds from Debian's source package without network transports
# (scripts/libgit2-static), and libyaml, PCRE2, OpenSSL's libcrypto, zlib
# and http-parser are Debian's static archives.  The three programs are
# then linked -static (TWOKEY_STATIC_EXE; -static-pie with
# TWOKEY_STATIC_PIE): one file each, no loader, no shared library.  Sanitizer, fuzzing and valgrind builds
# cannot be fully static (the sanitizers' runtimes and valgrind's malloc
# replacement need the dynamic loader): they link the same archives into
# dynamically linked programs.
#
# TWOKEY_STATIC=OFF: the system's shared libraries through pkg-config, as a
# distribution package would link them.

add_library(tk::libgit2 INTERFACE IMPORTED)
add_library(tk::yaml INTERFACE IMPORTED)
add_library(tk::pcre2 INTERFACE IMPORTED)
add_library(tk::crypto INTERFACE IMPORTED)

if(NOT TWOKEY_STATIC)
  set(TWOKEY_STATIC_EXE OFF)
  pkg_check_modules(LIBGIT2 REQUIRED IMPORTED_TARGET libgit2>=1.5)
  pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
  pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
  find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)
  target_link_libraries(tk::libgit2 INTERFACE PkgConfig::LIBGIT2)
  target_link_libraries(tk::yaml INTERFACE PkgConfig::YAML)
  target_link_libraries(tk::pcre2 INTERFACE PkgConfig::PCRE2)
  target_link_libraries(tk::crypto INTERFACE OpenSSL::Crypto)
  message(STATUS "twokey: system shared libgit2 ${LIBGIT2_VERSION}")
  return()
endif()

if(TWOKEY_SANITIZE OR TWOKEY_FUZZ OR TWOKEY_VALGRIND)
  set(TWOKEY_STATIC_EXE OFF)
else()
  set(TWOKEY_STATIC_EXE ON)
endif()

# The prefix scripts/libgit2-static installs into, as the script itself
# computes it (the pinned version and a hash of the script: a change of the
# recipe asks for a new build instead of using a stale one).
set(tk_recipe ${PROJECT_SOURCE_DIR}/scripts/libgit2-static)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${tk_recipe})
set(TWOKEY_LIBGIT2_PREFIX "" CACHE PATH
  "Static libgit2 to link (default: $TWOKEY_LIBGIT2_PREFIX, else the one scripts/libgit2-static builds)")
if(TWOKEY_LIBGIT2_PREFIX)
  set(tk_prefix ${TWOKEY_LIBGIT2_PREFIX})
elseif(DEFINED ENV{TWOKEY_LIBGIT2_PREFIX})
  set(tk_prefix $ENV{TWOKEY_LIBGIT2_PREFIX})
else()
  execute_process(COMMAND bash ${tk_recipe} --prefix
    OUTPUT_VARIABLE tk_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE tk_rc)
  if(NOT tk_rc EQUAL 0 OR tk_prefix STREQUAL "")
    message(FATAL_ERROR "twokey: scripts/libgit2-static --prefix failed")
  endif()
endif()
if(NOT EXISTS ${tk_prefix}/lib/libgit2.a OR NOT EXISTS ${tk_prefix}/BUILDINFO)
  message(FATAL_ERROR "twokey: no static libgit2 in ${tk_prefix}: run "
    "scripts/deps (it builds it), or configure with -DTWOKEY_STATIC=OFF to "
    "link the system's shared libgit2")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${tk_prefix}/BUILDINFO)

# Debian's static archives; find_library by file name so that a shared
# library of the same name is never picked.
function(tk_archive var name)
  find_library(${var} NAMES ${name} NO_CACHE REQUIRED)
  set(${var} ${${var}} PARENT_SCOPE)
endfunction()
tk_archive(tk_http_parser libhttp_parser.a)
tk_archive(tk_pcre2 libpcre2-8.a)
tk_archive(tk_z libz.a)
tk_archive(tk_yaml libyaml.a)
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)

target_include_directories(tk::libgit2 INTERFACE ${tk_prefix}/include)
target_link_libraries(tk::libgit2 INTERFACE ${tk_prefix}/lib/libgit2.a
  ${tk_http_parser} ${tk_pcre2} ${tk_z} Threads::Threads rt)
target_link_libraries(tk::yaml INTERFACE ${tk_yaml})
target_compile_definitions(tk::yaml INTERFACE YAML_DECLARE_STATIC)
target_link_libraries(tk::pcre2 INTERFACE ${tk_pcre2})
target_compile_definitions(tk::pcre2 INTERFACE PCRE2_STATIC)
target_link_libraries(tk::crypto INTERFACE OpenSSL::Crypto)
set(TWOKEY_LIBGIT2_STATIC_PREFIX ${tk_prefix})
message(STATUS "twokey: static libgit2 from ${tk_prefix}"
  " (static programs: ${TWOKEY_STATIC_EXE})")
