// Precompiled header for the HTTP adapter: Beast and Asio are the slow part of the build.
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
