rule formats_table:
    output:
        "results/summary/formats.csv",
    params:
        formats=format_names(),
    log:
        "results/logs/formats_table.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec formats {params.formats} --out {output} > {log} 2>&1"
