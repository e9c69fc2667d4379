package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"google.golang.org/grpc/codes"
)

// withBodyLimit rejects with 413 a request whose body is longer than
// maxBodyBytes, and stores a requestState in each request's context.
// A Content-Length above the limit is rejected at once. A body without
// one is read through http.MaxBytesReader, which fails the read past the
// limit, and writeHTTPError or withUpdateMask then writes the 413.
func withBodyLimit(maxBodyBytes int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			writeBodyTooLarge(w, r, maxBodyBytes)
			return
		}
		state := &requestState{maxBodyBytes: maxBodyBytes}
		r = r.WithContext(context.WithValue(r.Context(), requestStateKey{}, state))
		r.Body = limitedBody{http.MaxBytesReader(w, r.Body, maxBodyBytes), state}
		next.ServeHTTP(w, r)
	})
}

// limitedBody is a request body from http.MaxBytesReader that records
// in the request's state when the limit was passed. grpc-gateway turns
// the read error into INVALID_ARGUMENT with the error's text only.
type limitedBody struct {
	io.ReadCloser
	state *requestState
}

func (b limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.state.bodyTooLarge.Store(true)
	}
	return n, err
}

// updateMaskForms names the query forms of update_mask that the gateway
// accepts, for error messages.
const updateMaskForms = "update_mask=a,b, updateMask=a,b or update_mask.paths=a&update_mask.paths=b"

// withUpdateMask prepares the update_mask of a PATCH request for
// grpc-gateway 1.6.4, which reads only the first value of a repeated
// update_mask=a or updateMask=a parameter:
//   - An update_mask in the query, in any accepted form and repeated or
//     not, becomes one update_mask=a,b parameter.
//   - A key that grpc-gateway would misread, such as update_mask[0]=a
//     (sent as the path "0"), is rejected with 400.
//   - A request without update_mask gets the mask of every field in its
//     JSON body, with nested fields as dotted paths.
//
// generate.sh turns off grpc-gateway's allow_patch_feature, which builds
// the mask from the body too, because grpc-gateway 1.6.4 also adds the
// body's fields to a mask given in the query. A field outside that mask
// would then be updated.
func withUpdateMask(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch {
			next.ServeHTTP(w, r)
			return
		}
		query := r.URL.Query()
		paths, found, err := takeUpdateMask(query)
		if err != nil {
			writeErrorBody(w, r, http.StatusBadRequest, codes.InvalidArgument, err.Error())
			return
		}
		if !found {
			paths, err = bodyUpdateMask(w, r)
			if err != nil {
				return
			}
		}
		if found || len(paths) > 0 {
			query.Set("update_mask", strings.Join(paths, ","))
			r.URL.RawQuery = query.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// takeUpdateMask removes every update_mask parameter from query and
// returns their paths, split at commas, and whether there was one. It
// returns an error for a key that is not one of updateMaskForms.
func takeUpdateMask(query url.Values) (paths []string, found bool, err error) {
	keys := make([]string, 0, len(query))
	for key := range query {
		keys = append(keys, key)
	}
	// Sorted, so that the paths and the first rejected key do not depend
	// on map order.
	sort.Strings(keys)
	for _, key := range keys {
		field := key
		if i := strings.IndexAny(key, ".["); i >= 0 {
			field = key[:i]
		}
		if field != "update_mask" && field != "updateMask" {
			continue
		}
		if key != field && key != field+".paths" {
			return nil, false, fmt.Errorf("unsupported query parameter %q; give the fields to update as %s",
				key, updateMaskForms)
		}
		found = true
		for _, value := range query[key] {
			for _, path := range strings.Split(value, ",") {
				if path != "" {
					paths = append(paths, path)
				}
			}
		}
		delete(query, key)
	}
	return paths, found, nil
}

// bodyUpdateMask reads the request body, puts it back for grpc-gateway,
// and returns the paths of the fields in it. On a read error it writes
// the response and returns the error. A body that is not a JSON object
// gets no paths.
func bodyUpdateMask(w http.ResponseWriter, r *http.Request) ([]string, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeBodyTooLarge(w, r, tooLarge.Limit)
		} else {
			writeErrorBody(w, r, http.StatusBadRequest, codes.InvalidArgument,
				"failed to read the request body: "+err.Error())
		}
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	paths, err := jsonFieldPaths(body)
	if err != nil {
		// Invalid JSON gets no mask here, and the generated handler
		// returns 400 for it.
		return nil, nil
	}
	return paths, nil
}

// jsonFieldPaths returns the path of every field in a JSON object, in the
// order of the body and with the keys as the client wrote them. A nested
// object adds its fields as dotted paths, as in
// privacy_settings.visibility, and an empty object adds none. Arrays,
// strings, numbers, booleans and null are leaves. The server accepts
// snake_case and lowerCamelCase paths. grpc-gateway's
// FieldMaskFromRequestBody would turn "nosuch" into "Nosuch", and the
// server's error would then name a field that the client never sent.
func jsonFieldPaths(body []byte) ([]string, error) {
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	var paths []string
	seen := map[string]bool{}
	if err := collectFieldPaths(decoder, "", &paths, seen); err != nil {
		return nil, err
	}
	return paths, nil
}

// collectFieldPaths reads one JSON value from decoder and appends to paths
// the path of each leaf in it, prefix being the path of the value itself.
func collectFieldPaths(decoder *json.Decoder, prefix string, paths *[]string, seen map[string]bool) error {
	token, err := decoder.Token()
	if err != nil {
		return err
	}
	delim, isDelim := token.(json.Delim)
	switch {
	case isDelim && delim == '{':
		for decoder.More() {
			keyToken, err := decoder.Token()
			if err != nil {
				return err
			}
			key := keyToken.(string)
			path := key
			if prefix != "" {
				path = prefix + "." + key
			}
			if err := collectFieldPaths(decoder, path, paths, seen); err != nil {
				return err
			}
		}
		_, err := decoder.Token() // the closing '}'
		return err
	case isDelim && delim == '[':
		var element json.RawMessage
		for decoder.More() {
			if err := decoder.Decode(&element); err != nil {
				return err
			}
		}
		if _, err := decoder.Token(); err != nil { // the closing ']'
			return err
		}
	}
	if prefix != "" && !seen[prefix] {
		seen[prefix] = true
		*paths = append(*paths, prefix)
	}
	return nil
}
