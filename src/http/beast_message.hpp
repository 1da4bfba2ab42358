// Beast's messages ⇄ the application's HttpRequest/HttpResponse: the only conversion, socket-free (the fuzz targets use it).
#pragma once

#include <string>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/message.hpp"

namespace sms_auth {

// Splits the target into path and query, lower-cases header names, takes the body.
HttpRequest to_app_request(boost::beast::http::request<boost::beast::http::string_body>&& request,
                           std::string client_address);

// Content-Length set from the body (none for a 304; a HEAD answer has the length but no body).
boost::beast::http::response<boost::beast::http::string_body> to_beast_response(HttpResponse&& response,
                                                                                 unsigned version, bool keep_alive,
                                                                                 bool head);

}  // namespace sms_auth
