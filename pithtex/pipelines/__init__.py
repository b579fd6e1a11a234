"""pithtex.pipelines."""
