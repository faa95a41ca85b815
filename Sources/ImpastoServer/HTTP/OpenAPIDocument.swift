// The JSON API's OpenAPI 3 document, served at GET /api/openapi.json. A test holds it to the router (every route
// under /api is in it, and it names none that is not), and scripts/schemathesis_check.sh checks a running server's
// answers against it. The error answers many operations share are components/responses, and an operation names
// its own `security` only where it differs from the document's (a session or a token). Kept in the source, as
// the page templates are, so the binary serves it wherever it is copied.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.0.3",
          "info": {
            "title": "Impasto service",
            "version": "1",
            "description": "`impasto serve`'s JSON API: accounts, uploads, jobs, files, saved filters and the public feed. Errors are `{\"error\": {\"message\": SENTENCE}}`."
          },
          "servers": [
            {
              "url": "/"
            }
          ],
          "security": [
            {
              "session": []
            },
            {
              "token": []
            }
          ],
          "paths": {
            "/api/openapi.json": {
              "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "security": [],
                "responses": {
                  "200": {
                    "description": "The OpenAPI document.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object"
                        }
                      }
                    }
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/users": {
              "post": {
                "operationId": "register",
                "summary": "Create an account and sign in.",
                "security": [],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/Credentials"
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "Registered and signed in.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Account"
                        }
                      }
                    },
                    "headers": {
                      "Set-Cookie": {
                        "description": "The session cookie (`impasto_session`, HttpOnly, SameSite=Strict).",
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadBody"
                  },
                  "409": {
                    "description": "The name is taken.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "422": {
                    "$ref": "#/components/responses/Refused"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/sessions": {
              "post": {
                "operationId": "signIn",
                "summary": "Sign in: sets the session cookie.",
                "security": [],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/Credentials"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "Signed in.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Account"
                        }
                      }
                    },
                    "headers": {
                      "Set-Cookie": {
                        "description": "The session cookie (`impasto_session`, HttpOnly, SameSite=Strict).",
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadBody"
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              },
              "delete": {
                "operationId": "signOut",
                "summary": "Sign out: ends the cookie's session (an API token stays valid).",
                "security": [
                  {},
                  {
                    "session": []
                  },
                  {
                    "token": []
                  }
                ],
                "responses": {
                  "204": {
                    "description": "Signed out (also when no session was open)."
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/tokens": {
              "post": {
                "operationId": "issueToken",
                "summary": "A new API token, for `Authorization: Bearer`.",
                "responses": {
                  "201": {
                    "description": "The token; it is shown once.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Token"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/me": {
              "get": {
                "operationId": "me",
                "summary": "The signed-in account.",
                "responses": {
                  "200": {
                    "description": "The account.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Account"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/uploads": {
              "post": {
                "operationId": "upload",
                "summary": "Upload a PNG or JPEG image (the body); its size is read from its header before anything is decoded.",
                "parameters": [
                  {
                    "name": "name",
                    "in": "query",
                    "required": false,
                    "description": "A name kept for display only.",
                    "schema": {
                      "type": "string",
                      "maxLength": 200
                    }
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "image/png": {
                      "schema": {
                        "type": "string",
                        "format": "binary"
                      }
                    },
                    "image/jpeg": {
                      "schema": {
                        "type": "string",
                        "format": "binary"
                      }
                    },
                    "application/octet-stream": {
                      "schema": {
                        "type": "string",
                        "format": "binary"
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "Stored.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Upload"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "413": {
                    "description": "The upload is larger than the server allows.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "422": {
                    "$ref": "#/components/responses/Refused"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/jobs": {
              "post": {
                "operationId": "createJob",
                "summary": "Queue a job.",
                "description": "Also 429, without `Retry-After`, when as many of the account's jobs are queued or running as its tier allows (free 2, premium 5, hd 10).",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/JobRequest"
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "Queued.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Job"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadBody"
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "403": {
                    "description": "Not allowed: the account's tier does not include this.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "422": {
                    "$ref": "#/components/responses/Refused"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              },
              "get": {
                "operationId": "listJobs",
                "summary": "The account's jobs, newest first.",
                "responses": {
                  "200": {
                    "description": "The jobs.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/Job"
                          }
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/jobs/{id}": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "schema": {
                    "$ref": "#/components/schemas/ID"
                  }
                }
              ],
              "get": {
                "operationId": "job",
                "summary": "A job's state, progress, place in the queue, ETA and files.",
                "responses": {
                  "200": {
                    "description": "The job.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Job"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "404": {
                    "$ref": "#/components/responses/NoJobOrFile"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              },
              "delete": {
                "operationId": "deleteJob",
                "summary": "Delete a job and its result and preview.",
                "responses": {
                  "204": {
                    "description": "Deleted."
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "404": {
                    "$ref": "#/components/responses/NoJobOrFile"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/jobs/{id}/cancel": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "schema": {
                    "$ref": "#/components/schemas/ID"
                  }
                }
              ],
              "post": {
                "operationId": "cancelJob",
                "summary": "Cancel a job: a queued one at once, a running one at its next lease renewal.",
                "responses": {
                  "200": {
                    "description": "The job.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Job"
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "404": {
                    "$ref": "#/components/responses/NoJobOrFile"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/jobs/{id}/public": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "schema": {
                    "$ref": "#/components/schemas/ID"
                  }
                }
              ],
              "put": {
                "operationId": "setPublic",
                "summary": "Show or hide the job's result in the public feed.",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/Public"
                      }
                    }
                  }
                },
                "responses": {
                  "200": {
                    "description": "The job.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Job"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadBody"
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "404": {
                    "$ref": "#/components/responses/NoJobOrFile"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/jobs/{id}/events": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "schema": {
                    "$ref": "#/components/schemas/ID"
                  }
                }
              ],
              "get": {
                "operationId": "jobEvents",
                "summary": "The job's status as server-sent events, whenever it changes; an `end` event when it has finished.",
                "responses": {
                  "200": {
                    "description": "Server-sent events: each event's data is the job (a Job object as JSON); the last is named `end`.",
                    "content": {
                      "text/event-stream": {
                        "schema": {
                          "type": "object",
                          "required": [
                            "data"
                          ],
                          "properties": {
                            "event": {
                              "type": "string",
                              "enum": [
                                "message",
                                "end"
                              ],
                              "description": "message (unnamed) while the job changes; end for the last, once it has finished."
                            },
                            "data": {
                              "type": "string",
                              "description": "A Job object as JSON."
                            }
                          }
                        }
                      }
                    }
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "404": {
                    "$ref": "#/components/responses/NoJobOrFile"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/files/{id}": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "schema": {
                    "$ref": "#/components/schemas/ID"
                  }
                }
              ],
              "get": {
                "operationId": "file",
                "summary": "A stored image: the viewer's own, or an input or result of a public job.",
                "security": [
                  {},
                  {
                    "session": []
                  },
                  {
                    "token": []
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The image.",
                    "content": {
                      "image/png": {
                        "schema": {
                          "type": "string",
                          "format": "binary"
                        }
                      },
                      "image/jpeg": {
                        "schema": {
                          "type": "string",
                          "format": "binary"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NoJobOrFile"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/feed": {
              "get": {
                "operationId": "feed",
                "summary": "Public finished jobs, newest first, with their inputs' ids.",
                "security": [],
                "responses": {
                  "200": {
                    "description": "The feed.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/Job"
                          }
                        }
                      }
                    }
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/filters": {
              "post": {
                "operationId": "createFilter",
                "summary": "Save a style under a name: one of the account's style uploads, or the style of one of its finished jobs.",
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/FilterRequest"
                      }
                    }
                  }
                },
                "responses": {
                  "201": {
                    "description": "Saved.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Filter"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/BadBody"
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "422": {
                    "$ref": "#/components/responses/Refused"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              },
              "get": {
                "operationId": "listFilters",
                "summary": "The viewer's own filters and everyone's public ones, newest first.",
                "security": [
                  {},
                  {
                    "session": []
                  },
                  {
                    "token": []
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The filters.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/Filter"
                          }
                        }
                      }
                    }
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            },
            "/api/filters/{id}": {
              "parameters": [
                {
                  "name": "id",
                  "in": "path",
                  "required": true,
                  "schema": {
                    "$ref": "#/components/schemas/ID"
                  }
                }
              ],
              "get": {
                "operationId": "filter",
                "summary": "A filter the viewer owns, or a public one.",
                "security": [
                  {},
                  {
                    "session": []
                  },
                  {
                    "token": []
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The filter.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Filter"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NoFilter"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              },
              "delete": {
                "operationId": "deleteFilter",
                "summary": "Delete one of the account's filters.",
                "responses": {
                  "204": {
                    "description": "Deleted."
                  },
                  "401": {
                    "$ref": "#/components/responses/NotSignedIn"
                  },
                  "403": {
                    "description": "Another user's public filter: it can be used, not deleted.",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Error"
                        }
                      }
                    }
                  },
                  "404": {
                    "$ref": "#/components/responses/NoFilter"
                  },
                  "429": {
                    "$ref": "#/components/responses/TooManyRequests"
                  }
                }
              }
            }
          },
          "components": {
            "schemas": {
              "ID": {
                "type": "string",
                "pattern": "^[0-9a-f]{32}$",
                "description": "A server-made id: 32 lowercase hex digits."
              },
              "Error": {
                "type": "object",
                "required": [
                  "error"
                ],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": [
                      "message"
                    ],
                    "properties": {
                      "message": {
                        "type": "string",
                        "description": "One sentence saying what is wrong."
                      }
                    }
                  }
                }
              },
              "Credentials": {
                "type": "object",
                "required": [
                  "name",
                  "password"
                ],
                "properties": {
                  "name": {
                    "type": "string",
                    "description": "1 to 40 letters, digits, '.', '_' or '-'.",
                    "pattern": "^[A-Za-z0-9._-]{1,40}$"
                  },
                  "password": {
                    "type": "string",
                    "description": "8 to 200 characters.",
                    "minLength": 8,
                    "maxLength": 200
                  }
                }
              },
              "Account": {
                "type": "object",
                "required": [
                  "id",
                  "name",
                  "tier"
                ],
                "additionalProperties": false,
                "properties": {
                  "id": {
                    "type": "integer",
                    "format": "int64"
                  },
                  "name": {
                    "type": "string"
                  },
                  "tier": {
                    "$ref": "#/components/schemas/Tier"
                  }
                }
              },
              "Tier": {
                "type": "string",
                "enum": [
                  "free",
                  "premium",
                  "hd"
                ]
              },
              "JobKind": {
                "type": "string",
                "enum": [
                  "stylize",
                  "apply",
                  "cutout",
                  "faces",
                  "explain"
                ]
              },
              "Token": {
                "type": "object",
                "required": [
                  "token"
                ],
                "additionalProperties": false,
                "properties": {
                  "token": {
                    "type": "string"
                  }
                }
              },
              "Upload": {
                "type": "object",
                "required": [
                  "id",
                  "width",
                  "height",
                  "bytes"
                ],
                "additionalProperties": false,
                "properties": {
                  "id": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "width": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "height": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "bytes": {
                    "type": "integer",
                    "minimum": 1
                  }
                }
              },
              "Public": {
                "type": "object",
                "required": [
                  "public"
                ],
                "properties": {
                  "public": {
                    "type": "boolean"
                  }
                }
              },
              "JobRequest": {
                "type": "object",
                "required": [
                  "kind",
                  "content"
                ],
                "properties": {
                  "kind": {
                    "$ref": "#/components/schemas/JobKind"
                  },
                  "content": {
                    "type": "string",
                    "description": "The photo: an upload's id.",
                    "pattern": "^[0-9a-f]{32}$"
                  },
                  "style": {
                    "type": "string",
                    "description": "stylize: the style image, an upload's id.",
                    "pattern": "^[0-9a-f]{32}$"
                  },
                  "filter": {
                    "type": "string",
                    "description": "stylize: a saved filter's id, instead of `style`.",
                    "pattern": "^[0-9a-f]{32}$"
                  },
                  "model": {
                    "type": "string",
                    "description": "apply: a bundled style's name."
                  },
                  "tier": {
                    "$ref": "#/components/schemas/Tier"
                  },
                  "size": {
                    "type": "integer",
                    "description": "The result's longest side; the tier's when not given, never more.",
                    "minimum": 16
                  },
                  "iterations": {
                    "type": "integer",
                    "description": "stylize: iterations within what the tier sells.",
                    "minimum": 1
                  },
                  "public": {
                    "type": "boolean",
                    "description": "Whether the result goes in the public feed."
                  },
                  "method": {
                    "type": "string",
                    "enum": [
                      "saliency",
                      "deconvnet",
                      "guided",
                      "gradcam",
                      "integrated"
                    ],
                    "description": "explain: the attribution method; gradcam when not given."
                  }
                }
              },
              "Job": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "id",
                  "kind",
                  "tier",
                  "state",
                  "progress",
                  "attempts",
                  "public",
                  "created"
                ],
                "properties": {
                  "id": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "kind": {
                    "type": "string"
                  },
                  "tier": {
                    "$ref": "#/components/schemas/Tier"
                  },
                  "state": {
                    "type": "string",
                    "enum": [
                      "queued",
                      "running",
                      "done",
                      "failed",
                      "cancelled"
                    ]
                  },
                  "progress": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1
                  },
                  "detail": {
                    "type": "string"
                  },
                  "attempts": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "public": {
                    "type": "boolean"
                  },
                  "created": {
                    "type": "number",
                    "description": "Seconds since 1970."
                  },
                  "started": {
                    "type": "number"
                  },
                  "finished": {
                    "type": "number"
                  },
                  "error": {
                    "type": "string"
                  },
                  "content": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "style": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "model": {
                    "type": "string"
                  },
                  "result": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "preview": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "filter": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "styleFilter": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "queuePosition": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "etaSeconds": {
                    "type": "number",
                    "minimum": 0
                  },
                  "faces": {
                    "type": "array",
                    "description": "faces: the faces found, in the result's pixels.",
                    "items": {
                      "$ref": "#/components/schemas/Face"
                    }
                  },
                  "target": {
                    "type": "string",
                    "description": "explain: what was explained."
                  }
                }
              },
              "Face": {
                "type": "object",
                "required": [
                  "box",
                  "probability",
                  "landmarks"
                ],
                "additionalProperties": false,
                "properties": {
                  "box": {
                    "type": "array",
                    "items": {
                      "type": "number"
                    },
                    "minItems": 4,
                    "maxItems": 4,
                    "description": "x1, y1, x2, y2."
                  },
                  "probability": {
                    "type": "number"
                  },
                  "landmarks": {
                    "type": "array",
                    "items": {
                      "type": "array",
                      "items": {
                        "type": "number"
                      },
                      "minItems": 2,
                      "maxItems": 2
                    }
                  }
                }
              },
              "FilterRequest": {
                "type": "object",
                "required": [
                  "name"
                ],
                "properties": {
                  "name": {
                    "type": "string",
                    "description": "1 to 60 characters, no control characters.",
                    "minLength": 1,
                    "maxLength": 60
                  },
                  "style": {
                    "type": "string",
                    "description": "A style upload's id; or `job`, not both.",
                    "pattern": "^[0-9a-f]{32}$"
                  },
                  "job": {
                    "type": "string",
                    "description": "One of the account's finished jobs, whose style is saved; or `style`, not both.",
                    "pattern": "^[0-9a-f]{32}$"
                  },
                  "public": {
                    "type": "boolean",
                    "description": "Whether everyone may see and use it (false when not given)."
                  }
                }
              },
              "Filter": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "id",
                  "name",
                  "style",
                  "public",
                  "owner",
                  "mine",
                  "created"
                ],
                "properties": {
                  "id": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "name": {
                    "type": "string"
                  },
                  "style": {
                    "$ref": "#/components/schemas/ID"
                  },
                  "public": {
                    "type": "boolean"
                  },
                  "owner": {
                    "type": "string",
                    "description": "The owner's name."
                  },
                  "mine": {
                    "type": "boolean",
                    "description": "Whether the viewer owns it (and so may delete it)."
                  },
                  "created": {
                    "type": "number",
                    "description": "Seconds since 1970."
                  }
                }
              }
            },
            "responses": {
              "BadBody": {
                "description": "The body is not the JSON this operation reads.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "NotSignedIn": {
                "description": "Not signed in: no session cookie or API token, or an expired one.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "NoFilter": {
                "description": "No such filter, or another user's private one (it answers the same).",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "NoJobOrFile": {
                "description": "No such job or file (another user's answers the same).",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "Refused": {
                "description": "The request is well formed but refused: the sentence says why.",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              },
              "TooManyRequests": {
                "description": "Too many requests; `Retry-After` says how many seconds to wait.",
                "headers": {
                  "Retry-After": {
                    "schema": {
                      "type": "integer",
                      "minimum": 1
                    }
                  }
                },
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            },
            "securitySchemes": {
              "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": "impasto_session",
                "description": "Set by POST /api/users and POST /api/sessions."
              },
              "token": {
                "type": "http",
                "scheme": "bearer",
                "description": "From POST /api/tokens."
              }
            }
          }
        }
        """#
}
