"""XMP packets: a strict reader (:mod:`.read`) and a writer that keeps the rest (:mod:`.write`)."""
