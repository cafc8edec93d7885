// Package auth holds cityreach's API tokens and the gin middleware that checks them.
//
// A token is a random secret shown once, when it is created; the database keeps only its
// SHA-256 digest. Each token has a name (recorded as the actor of every edit made with it)
// and a role: viewer reads, editor also writes, admin also manages tokens. Roles are
// ordered, so a higher role can do everything a lower one can.
package auth
