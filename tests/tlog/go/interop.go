// Command interop checks a bidopen public log with Go's golang.org/x/mod/sumdb/note and
// sumdb/tlog, which are not bidopen's code: it verifies the served checkpoint with the log's
// verifier key, recomputes the root from the served tiles, checks every entry bundle against
// the level-0 tiles, and checks a C2SP tlog-proof of one entry.
//
// Usage: interop BASE_URL VKEY PROOF_FILE ENTRY_FILE
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "interop: "+format+"\n", args...)
	os.Exit(1)
}

func get(url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: status %d %v", url, resp.StatusCode, err)
	}
	return body
}

// openCheckpoint verifies a checkpoint note with the log's key and reads its tree head.
func openCheckpoint(msg []byte, verifier note.Verifier) (string, tlog.Tree) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint does not verify: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) != 3 {
		fail("checkpoint body has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root: %v", err)
	}
	var tree tlog.Tree
	tree.N = size
	copy(tree.Hash[:], root)
	return lines[0], tree
}

// c2spTiles reads C2SP tiles: the same tiles as Go's sumdb, without the height in the path.
type c2spTiles struct{ base string }

func (c c2spTiles) Height() int { return 8 }

func (c c2spTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		path := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
		out[i] = get(c.base + "/log/" + path)
	}
	return out, nil
}

func (c c2spTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func main() {
	if len(os.Args) != 5 {
		fail("usage: interop BASE_URL VKEY PROOF_FILE ENTRY_FILE")
	}
	base, vkey := os.Args[1], os.Args[2]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	origin, tree := openCheckpoint(get(base+"/log/checkpoint"), verifier)
	if origin != verifier.Name() {
		fail("origin %q is not the key's name %q", origin, verifier.Name())
	}
	reader := tlog.TileHashReader(tree, c2spTiles{base})
	root, err := tlog.TreeHash(tree.N, reader)
	if err != nil || root != tree.Hash {
		fail("root from tiles: %v (%v)", root, err)
	}
	// Every entry bundle hashes to the level-0 hashes that the tiles proved.
	for start := int64(0); start < tree.N; start += 256 {
		width := tree.N - start
		path := fmt.Sprintf("tile/entries/%s", strings.TrimPrefix(tlog.Tile{H: 8, L: 0, N: start / 256, W: 256}.Path(), "tile/8/0/"))
		if width < 256 {
			path += fmt.Sprintf(".p/%d", width)
		} else {
			width = 256
		}
		data := get(base + "/log/" + path)
		for i := int64(0); i < width; i++ {
			if len(data) < 2 {
				fail("bundle %s ends early", path)
			}
			size := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+size {
				fail("bundle %s ends inside an entry", path)
			}
			hashes, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, start+i)})
			if err != nil || hashes[0] != tlog.RecordHash(data[2:2+size]) {
				fail("entry %d does not hash to its leaf (%v)", start+i, err)
			}
			data = data[2+size:]
		}
		if len(data) != 0 {
			fail("bundle %s has trailing bytes", path)
		}
	}
	// The tlog-proof: index, inclusion hashes, blank line, the checkpoint.
	proof, err := os.ReadFile(os.Args[3])
	if err != nil {
		fail("%v", err)
	}
	entry, err := os.ReadFile(os.Args[4])
	if err != nil {
		fail("%v", err)
	}
	cut := bytes.Index(proof, []byte("\n\n"))
	if cut < 0 {
		fail("proof has no checkpoint")
	}
	head := strings.Split(string(proof[:cut]), "\n")
	if head[0] != "c2sp.org/tlog-proof@v1" {
		fail("proof header %q", head[0])
	}
	at := 1
	if strings.HasPrefix(head[at], "extra ") {
		at++
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(head[at], "index "), 10, 64)
	if err != nil {
		fail("proof index: %v", err)
	}
	var path tlog.RecordProof
	for _, line := range head[at+1:] {
		raw, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(raw) != tlog.HashSize {
			fail("proof hash %q", line)
		}
		var h tlog.Hash
		copy(h[:], raw)
		path = append(path, h)
	}
	_, proofTree := openCheckpoint(proof[cut+2:], verifier)
	if err := tlog.CheckRecord(path, proofTree.N, proofTree.Hash, index, tlog.RecordHash(entry)); err != nil {
		fail("tlog-proof: %v", err)
	}
	fmt.Printf("ok: %s size %d, %d entries checked, proof of entry %d\n", origin, tree.N, tree.N, index)
}
