package workflows

import (
	"fmt"
	"strings"
)

// checkAudio refuses, right after the probe, an audio track the source does
// not have, so that a job is not encoded only to fail at assembly. Sources
// probed before SourceInfo listed its audio languages are left to Assemble.
func checkAudio(p AudioPolicy, src SourceInfo) error {
	langs := src.AudioLanguages
	if p.Mode != AudioCopy || len(langs) == 0 {
		return nil
	}
	var have []string
	for i, l := range langs {
		if l == "" {
			l = "und"
		}
		have = append(have, fmt.Sprintf("%d %s", i, l))
	}
	if p.Language != "" {
		for _, l := range langs {
			if strings.EqualFold(l, p.Language) {
				return nil
			}
		}
		return fmt.Errorf("no audio track in language %q (the tracks are %s)", p.Language, strings.Join(have, ", "))
	}
	if p.Track >= len(langs) {
		return fmt.Errorf("no audio track %d (the tracks are %s)", p.Track, strings.Join(have, ", "))
	}
	return nil
}
